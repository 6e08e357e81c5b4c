// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "./interfaces/IERC20.sol";

/// @title HashedTimelock
/// @notice HTLC for any ERC-20 (security or cash token), for cross-chain DvP. The hashlock is
/// sha256(preimage), the convention most HTLCs share, so the same secret unlocks the other chain's
/// leg. Before the timelock (block.timestamp < timelock) the receiver's funds can be claimed with
/// the preimage; from the timelock on (block.timestamp >= timelock) only a refund to the sender is
/// possible. Exactly one of the two ever happens. To hold security tokens this contract must be
/// registered as a system identity in the token's identity registry.
contract HashedTimelock {
    enum State { None, Locked, Claimed, Refunded }

    struct Lock {
        address sender;
        address receiver;
        address token;
        uint256 amount;
        bytes32 hashlock;
        uint64 timelock;
        State state;
        bytes32 preimage;
    }

    mapping(bytes32 => Lock) public locks;
    uint256 public lockCount;

    event Locked(bytes32 indexed lockId, address indexed sender, address indexed receiver, address token, uint256 amount, bytes32 hashlock, uint64 timelock);
    event Claimed(bytes32 indexed lockId, bytes32 preimage);
    event Refunded(bytes32 indexed lockId);

    error TimelockInPast(uint64 timelock);
    error LockNotFound(bytes32 lockId);
    error NotLocked(bytes32 lockId, State state);
    error WrongPreimage(bytes32 lockId);
    error Expired(bytes32 lockId, uint64 timelock);
    error NotExpired(bytes32 lockId, uint64 timelock);
    error TransferFailed();

    function lock(address receiver, address token, uint256 amount, bytes32 hashlock, uint64 timelock)
        external returns (bytes32 lockId)
    {
        if (timelock <= block.timestamp) revert TimelockInPast(timelock);
        lockId = keccak256(abi.encode(block.chainid, address(this), ++lockCount, msg.sender, receiver, token, amount, hashlock, timelock));
        locks[lockId] = Lock(msg.sender, receiver, token, amount, hashlock, timelock, State.Locked, bytes32(0));
        if (!IERC20(token).transferFrom(msg.sender, address(this), amount)) revert TransferFailed();
        emit Locked(lockId, msg.sender, receiver, token, amount, hashlock, timelock);
    }

    /// Anyone may submit the preimage (a relayer, for example); the tokens go to the receiver.
    function claim(bytes32 lockId, bytes32 preimage) external {
        Lock storage l = locks[lockId];
        if (l.state == State.None) revert LockNotFound(lockId);
        if (l.state != State.Locked) revert NotLocked(lockId, l.state);
        if (sha256(abi.encodePacked(preimage)) != l.hashlock) revert WrongPreimage(lockId);
        if (block.timestamp >= l.timelock) revert Expired(lockId, l.timelock);
        l.state = State.Claimed;
        l.preimage = preimage;
        if (!IERC20(l.token).transfer(l.receiver, l.amount)) revert TransferFailed();
        emit Claimed(lockId, preimage);
    }

    function refund(bytes32 lockId) external {
        Lock storage l = locks[lockId];
        if (l.state == State.None) revert LockNotFound(lockId);
        if (l.state != State.Locked) revert NotLocked(lockId, l.state);
        if (block.timestamp < l.timelock) revert NotExpired(lockId, l.timelock);
        l.state = State.Refunded;
        if (!IERC20(l.token).transfer(l.sender, l.amount)) revert TransferFailed();
        emit Refunded(lockId);
    }
}
