// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BridgeTypes, IMessageVerifier} from "./BridgeTypes.sol";

interface IBridgedToken {
    function mint(address to, uint256 amount) external;
    function bridgeBurn(address from, uint256 amount) external;
    function canMint(address to, uint256 amount) external view returns (uint8 code, string memory message);
}

/// @title BridgeGateway
/// @notice The Ethereum end of the bridge to a consortium ledger. Inbound messages (units locked
/// in the consortium's escrow) are checked by the lane's verifier and mint the wrapped security
/// token to the receiver, unless the receiver is not eligible: then the message is recorded as
/// rejected with the token's restriction code, and its units can be released back on the
/// consortium. Outbound, a holder burns wrapped units here and the consortium releases them from
/// escrow. Every message id is accepted once. Controls per lane: a token-bucket rate limit by
/// value for each direction, a delay above a size threshold, and a pause held by a guardian.
contract BridgeGateway {
    enum Status { None, Delivered, Rejected, Delayed, Sent, Refunded }

    struct Bucket {
        uint128 capacity;      // 0 = unlimited
        uint128 available;
        uint64 refillPerSecond;
        uint64 updatedAt;
    }

    struct Lane {
        address token;          // the wrapped security token on this chain
        bytes32 asset;          // keccak256(asset id) on the consortium
        uint256 remoteChain;    // the consortium chain id
        IMessageVerifier verifier;
        bool paused;
        uint256 delayThreshold; // amounts at or above it wait `delaySeconds` (0 = never)
        uint256 delaySeconds;
        uint256 outboundNonce;
        Bucket inbound;
        Bucket outbound;
    }

    struct Delayed {
        address receiver;
        uint256 amount;
        uint256 lane;
        uint256 executeAfter;
    }

    address public owner;
    address public guardian;
    bool public paused;
    mapping(uint256 => Lane) public lanes;
    mapping(bytes32 => Status) public status;
    mapping(bytes32 => Delayed) public delayed;

    event LaneConfigured(uint256 indexed lane, address token, bytes32 asset, uint256 remoteChain, address verifier);
    event MessageDelivered(bytes32 indexed id, uint256 indexed lane, address indexed receiver, uint256 amount);
    event MessageRejected(bytes32 indexed id, uint256 indexed lane, uint8 code, string reason);
    event MessageDelayed(bytes32 indexed id, uint256 indexed lane, uint256 executeAfter);
    event DuplicateMessage(bytes32 indexed id, uint256 indexed lane);
    event MessageSent(bytes32 indexed id, uint256 indexed lane, uint256 nonce, address indexed sender,
                      address receiver, uint256 amount, bytes32 asset, uint256 destinationChain);
    event MessageRefunded(bytes32 indexed id, uint256 indexed lane, address indexed sender, uint256 amount);
    event Paused(address indexed by, bool paused);
    event LanePaused(uint256 indexed lane, bool paused);

    error NotOwner();
    error NotGuardian();
    error BridgePaused();
    error LanePausedError(uint256 lane);
    error UnknownLane(uint256 lane);
    error WrongRoute(uint256 index);
    error VerificationFailed();
    error AlreadyProcessed(bytes32 id);
    error RateLimited(uint256 lane, uint256 available, uint256 amount);
    error NotDelayed(bytes32 id);
    error TooEarly(bytes32 id, uint256 executeAfter);
    error NotRefundable(bytes32 id);
    error ZeroAmount();
    error NotStuck(bytes32 id);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    constructor(address guardian_) {
        owner = msg.sender;
        guardian = guardian_;
    }

    // ---- configuration ---------------------------------------------------------------------
    function configureLane(uint256 lane, address token, bytes32 asset, uint256 remoteChain, address verifier)
        external onlyOwner
    {
        Lane storage l = lanes[lane];
        l.token = token;
        l.asset = asset;
        l.remoteChain = remoteChain;
        l.verifier = IMessageVerifier(verifier);
        emit LaneConfigured(lane, token, asset, remoteChain, verifier);
    }

    /// Token buckets by value: `capacity` units, refilled at `refillPerSecond` (capacity 0 = no limit).
    function setRateLimits(uint256 lane, uint128 inCapacity, uint64 inRefill, uint128 outCapacity, uint64 outRefill)
        external onlyOwner
    {
        Lane storage l = _lane(lane);
        l.inbound = Bucket(inCapacity, inCapacity, inRefill, uint64(block.timestamp));
        l.outbound = Bucket(outCapacity, outCapacity, outRefill, uint64(block.timestamp));
    }

    function setDelay(uint256 lane, uint256 threshold, uint256 seconds_) external onlyOwner {
        Lane storage l = _lane(lane);
        l.delayThreshold = threshold;
        l.delaySeconds = seconds_;
    }

    function setPaused(bool paused_) external {
        if (msg.sender != guardian) revert NotGuardian();
        paused = paused_;
        emit Paused(msg.sender, paused_);
    }

    function setLanePaused(uint256 lane, bool paused_) external {
        if (msg.sender != guardian) revert NotGuardian();
        _lane(lane).paused = paused_;
        emit LanePaused(lane, paused_);
    }

    // ---- inbound: consortium -> Ethereum -------------------------------------------------------
    function messageId(BridgeTypes.Message calldata m) external pure returns (bytes32) {
        return BridgeTypes.messageId(m);
    }

    /// Deliver messages of one lane proven by one piece of evidence (one certificate for a batch).
    /// A proven message this gateway can never deliver — addressed to another chain, or larger
    /// than the lane's rate-limit bucket can ever hold — is recorded as rejected (final), so its
    /// units are refunded on the consortium instead of blocking the lane.
    function deliver(uint256 lane, BridgeTypes.Message[] calldata messages, bytes calldata evidence) external {
        Lane storage l = _open(lane);
        bytes32[] memory ids = new bytes32[](messages.length);
        for (uint256 i = 0; i < messages.length; i++) {
            BridgeTypes.Message calldata m = messages[i];
            if (m.lane != lane || m.sourceChain != l.remoteChain || m.token != l.asset) revert WrongRoute(i);
            ids[i] = BridgeTypes.messageId(m);
        }
        if (!l.verifier.verifyMessages(ids, evidence)) revert VerificationFailed();
        uint256 fresh = 0;
        for (uint256 i = 0; i < messages.length; i++) {
            bytes32 id = ids[i];
            if (status[id] != Status.None) {
                emit DuplicateMessage(id, lane);
                continue;
            }
            fresh++;
            if (messages[i].destinationChain != block.chainid) {
                _reject(lane, id, CODE_WRONG_CHAIN, "addressed to another chain");
                continue;
            }
            _receive(l, lane, id, messages[i].receiver, messages[i].amount);
        }
        if (fresh == 0) revert AlreadyProcessed(ids.length > 0 ? ids[0] : bytes32(0));
    }

    /// Reject a proven message that has waited its lane's delivery budget and that the inbound
    /// bucket still cannot cover now, so its units are refunded on the consortium. Anyone may
    /// call it (relayers do, once their bounded retries are spent), but only while the bucket
    /// is short of the amount: a message the gateway could deliver now cannot be expired.
    function expire(uint256 lane, BridgeTypes.Message calldata m, bytes calldata evidence) external {
        Lane storage l = _open(lane);
        if (m.lane != lane || m.sourceChain != l.remoteChain || m.token != l.asset) revert WrongRoute(0);
        bytes32 id = BridgeTypes.messageId(m);
        if (status[id] != Status.None) revert AlreadyProcessed(id);
        if (l.inbound.capacity == 0 || _available(l.inbound) >= m.amount) revert NotStuck(id);
        bytes32[] memory ids = new bytes32[](1);
        ids[0] = id;
        if (!l.verifier.verifyMessages(ids, evidence)) revert VerificationFailed();
        _reject(lane, id, CODE_EXPIRED, "rate limited beyond the lane's delivery budget");
    }

    function _reject(uint256 lane, bytes32 id, uint8 code, string memory reason) internal {
        status[id] = Status.Rejected;
        emit MessageRejected(id, lane, code, reason);
    }

    function _receive(Lane storage l, uint256 lane, bytes32 id, address receiver, uint256 amount) internal {
        (uint8 code, string memory reason) = IBridgedToken(l.token).canMint(receiver, amount);
        if (code != 0) {
            status[id] = Status.Rejected;
            emit MessageRejected(id, lane, code, reason);
            return;
        }
        Bucket storage b = l.inbound;
        if (b.capacity != 0 && (amount > b.capacity || (b.refillPerSecond == 0 && amount > _available(b)))) {
            _reject(lane, id, CODE_ABOVE_CAPACITY, "amount above what the lane's rate limit can ever pass");
            return;
        }
        _consume(l.inbound, lane, amount);
        if (l.delayThreshold != 0 && amount >= l.delayThreshold) {
            status[id] = Status.Delayed;
            delayed[id] = Delayed(receiver, amount, lane, block.timestamp + l.delaySeconds);
            emit MessageDelayed(id, lane, block.timestamp + l.delaySeconds);
            return;
        }
        _mintOrReject(l, lane, id, receiver, amount);
    }

    /// Mint, or record the message as rejected when the token refuses (a receiver frozen, the
    /// gateway no longer an agent, a hook that reverts): the message still ends in a final state.
    function _mintOrReject(Lane storage l, uint256 lane, bytes32 id, address receiver, uint256 amount) internal {
        status[id] = Status.Delivered;
        try IBridgedToken(l.token).mint(receiver, amount) {
            emit MessageDelivered(id, lane, receiver, amount);
        } catch (bytes memory data) {
            status[id] = Status.Rejected;
            (uint8 code, string memory reason) = _explain(data);
            emit MessageRejected(id, lane, code, reason);
        }
    }

    bytes4 private constant TRANSFER_RESTRICTED = bytes4(keccak256("TransferRestricted(uint8,string)"));
    uint8 public constant CODE_TOKEN_REVERTED = 255;
    uint8 public constant CODE_WRONG_CHAIN = 254;
    uint8 public constant CODE_ABOVE_CAPACITY = 253;
    uint8 public constant CODE_EXPIRED = 252;

    /// The token's restriction code and message when it reverted with TransferRestricted,
    /// otherwise code 255 with the revert's selector.
    function _explain(bytes memory data) internal pure returns (uint8, string memory) {
        if (data.length >= 4 && bytes4(data) == TRANSFER_RESTRICTED) {
            bytes memory body = new bytes(data.length - 4);
            for (uint256 i = 0; i < body.length; i++) body[i] = data[i + 4];
            return abi.decode(body, (uint8, string));
        }
        return (CODE_TOKEN_REVERTED, data.length >= 4 ? "token reverted the mint" : "token reverted without a reason");
    }

    /// Complete a delayed delivery once its delay has passed (anyone may call).
    function executeDelayed(bytes32 id) external {
        if (status[id] != Status.Delayed) revert NotDelayed(id);
        Delayed memory d = delayed[id];
        Lane storage l = _open(d.lane);
        if (block.timestamp < d.executeAfter) revert TooEarly(id, d.executeAfter);
        (uint8 code, string memory reason) = IBridgedToken(l.token).canMint(d.receiver, d.amount);
        delete delayed[id];
        if (code != 0) {
            status[id] = Status.Rejected;
            emit MessageRejected(id, d.lane, code, reason);
            return;
        }
        _mintOrReject(l, d.lane, id, d.receiver, d.amount);
    }

    // ---- outbound: Ethereum -> consortium ----------------------------------------------------
    /// Burn wrapped units here; the consortium releases them to `receiver` from its escrow. The
    /// burn is the token's `bridgeBurn`, which obeys the compliance rule like a transfer: a paused
    /// token, a frozen sender or frozen units revert the send with the token's restriction code.
    function send(uint256 lane, address receiver, uint256 amount) external returns (bytes32 id) {
        if (amount == 0) revert ZeroAmount();
        Lane storage l = _open(lane);
        _consume(l.outbound, lane, amount);
        uint256 nonce = ++l.outboundNonce;
        BridgeTypes.Message memory m = BridgeTypes.Message(block.chainid, l.remoteChain, lane, nonce, l.asset,
                                                           msg.sender, receiver, amount, bytes32(0));
        id = keccak256(abi.encode(BridgeTypes.MESSAGE_TAG, m));
        status[id] = Status.Sent;
        IBridgedToken(l.token).bridgeBurn(msg.sender, amount);
        emit MessageSent(id, lane, nonce, msg.sender, receiver, amount, l.asset, l.remoteChain);
    }

    /// An outbound message the consortium refused: re-mint to its sender, proven by the lane's
    /// verifier over the consortium's rejection event for that id.
    function refund(BridgeTypes.Message calldata m, bytes calldata evidence) external {
        Lane storage l = _open(m.lane);
        bytes32 id = BridgeTypes.messageId(m);
        if (status[id] != Status.Sent || m.sourceChain != block.chainid) revert NotRefundable(id);
        bytes32[] memory ids = new bytes32[](1);
        ids[0] = BridgeTypes.rejectionId(id);
        if (!l.verifier.verifyMessages(ids, evidence)) revert VerificationFailed();
        status[id] = Status.Refunded;
        IBridgedToken(l.token).mint(m.sender, m.amount);
        emit MessageRefunded(id, m.lane, m.sender, m.amount);
    }

    // ---- internals -------------------------------------------------------------------------
    function _lane(uint256 lane) internal view returns (Lane storage l) {
        l = lanes[lane];
        if (l.token == address(0)) revert UnknownLane(lane);
    }

    function _open(uint256 lane) internal view returns (Lane storage l) {
        if (paused) revert BridgePaused();
        l = _lane(lane);
        if (l.paused) revert LanePausedError(lane);
    }

    function _available(Bucket storage b) internal view returns (uint256) {
        uint256 refilled = uint256(b.available) + (block.timestamp - b.updatedAt) * b.refillPerSecond;
        return refilled > b.capacity ? b.capacity : refilled;
    }

    function _consume(Bucket storage b, uint256 lane, uint256 amount) internal {
        if (b.capacity == 0) return;
        uint256 available = _available(b);
        if (amount > available) revert RateLimited(lane, available, amount);
        b.available = uint128(available - amount);
        b.updatedAt = uint64(block.timestamp);
    }
}
