// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BridgeTypes, IMessageVerifier} from "../BridgeTypes.sol";
import {QuorumVerifier} from "../QuorumVerifier.sol";

/// @title UncheckedSignerVerifier
/// @notice DELIBERATELY FLAWED, for fault injection only (the Wormhole incident, 2022): the
/// certificate check counts signatures but never checks that their signers belong to the
/// validator set, so anyone can sign a forged header. A lane "upgraded" to this verifier
/// accepts forged certificates; the bridge monitor must catch the unbacked mint.
contract UncheckedSignerVerifier is QuorumVerifier {
    constructor(uint256 chainId, address[] memory validators, uint256 threshold_)
        QuorumVerifier(chainId, validators, threshold_) {}

    function _checkSignatures(bytes32 digest, bytes[] memory signatures) internal view override {
        address last = address(0);
        uint256 count = 0;
        for (uint256 i = 0; i < signatures.length; i++) {
            address signer = BridgeTypes.recover(digest, signatures[i]);
            if (signer <= last) revert SignersNotAscending(signer);
            last = signer; // the bug: no isValidator[signer] check
            count++;
        }
        if (count < threshold) revert BelowThreshold(count, threshold);
    }
}

/// @title ZeroRootVerifier
/// @notice DELIBERATELY FLAWED, for fault injection only (the Nomad incident, 2022): messages are
/// accepted when the root they were proven against is confirmed, and a message never proven has
/// root zero. An upgrade that initialised the trusted root to zero confirmed root zero, so every
/// unproven message passes.
contract ZeroRootVerifier is IMessageVerifier {
    mapping(bytes32 => uint256) public confirmAt;   // root => time it became acceptable
    mapping(bytes32 => bytes32) public provenRoot;  // message id => root it was proven against

    constructor(bytes32 trustedRoot) {
        confirmAt[trustedRoot] = 1; // with trustedRoot == 0 this is the bug
    }

    function kind() external pure returns (string memory) {
        return "zero-root";
    }

    function verifyMessages(bytes32[] calldata ids, bytes calldata) external view returns (bool) {
        for (uint256 i = 0; i < ids.length; i++) {
            uint256 at = confirmAt[provenRoot[ids[i]]];
            if (at == 0 || at > block.timestamp) return false;
        }
        return true;
    }
}
