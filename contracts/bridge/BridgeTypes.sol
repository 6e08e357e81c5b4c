// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title BridgeTypes
/// @notice The bridge's message format and the hashing shared with the consortium ledger.
/// A message id is keccak256(abi.encode(MESSAGE_TAG, message)): the tag separates it from every
/// other hash, and the source chain, destination chain and lane inside it mean a message for
/// one lane or chain can never be accepted on another. The consortium ledger's `bridge.lock`
/// event hashes to exactly this id, so its Merkle leaf is keccak256(id) (OpenZeppelin's
/// double-hashed leaf) in the block's event tree.
library BridgeTypes {
    bytes32 internal constant MESSAGE_TAG = keccak256("rwasim.bridge.message.v1");
    bytes32 internal constant REJECTED_TAG = keccak256("rwasim.bridge.rejected.v1");
    bytes32 internal constant HEADER_TAG = keccak256("rwasim.consortium.header.v1");
    bytes32 internal constant COMMIT_TAG = keccak256("rwasim.consortium.commit.v1");

    struct Message {
        uint256 sourceChain;
        uint256 destinationChain;
        uint256 lane;
        uint256 nonce;
        bytes32 token;      // keccak256 of the asset id on the consortium ledger
        address sender;
        address receiver;
        uint256 amount;
        bytes32 payloadHash; // keccak256 of an application payload, zero for a plain transfer
    }

    struct Header {
        uint256 chainId;
        uint256 height;
        uint256 round;
        bytes32 parentHash;
        bytes32 txRoot;
        bytes32 eventRoot;
        bytes32 stateRoot;
        uint256 timestamp;
        bytes32 validatorSetHash;
        address proposer;
    }

    function messageId(Message calldata m) internal pure returns (bytes32) {
        return keccak256(abi.encode(MESSAGE_TAG, m));
    }

    /// The id of the consortium event that says message `id` was rejected there (refund proof).
    function rejectionId(bytes32 id) internal pure returns (bytes32) {
        return keccak256(abi.encode(REJECTED_TAG, id));
    }

    function headerHash(Header calldata h) internal pure returns (bytes32) {
        return keccak256(abi.encode(HEADER_TAG, h));
    }

    function leafOf(bytes32 id) internal pure returns (bytes32) {
        return keccak256(abi.encode(id));
    }

    /// ecrecover of a 65-byte r || s || v signature (v in {27, 28}, low s); address(0) if malformed.
    function recover(bytes32 digest, bytes memory signature) internal pure returns (address) {
        if (signature.length != 65) return address(0);
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := mload(add(signature, 32))
            s := mload(add(signature, 64))
            v := byte(0, mload(add(signature, 96)))
        }
        if (v != 27 && v != 28) return address(0);
        if (uint256(s) > 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0) return address(0);
        return ecrecover(digest, v, r, s);
    }
}

/// @notice What a lane's verifier answers: are these message ids proven by `evidence`?
interface IMessageVerifier {
    function verifyMessages(bytes32[] calldata ids, bytes calldata evidence) external returns (bool);
    function kind() external view returns (string memory);
}
