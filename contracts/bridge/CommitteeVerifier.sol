// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BridgeTypes, IMessageVerifier} from "./BridgeTypes.sol";

/// @title CommitteeVerifier
/// @notice An external k-of-n committee (the multisig bridges' trust model, e.g. 5 of 9): message
/// ids are accepted when at least k distinct members signed
/// keccak256(abi.encode(COMMITTEE_TAG, address(this), keccak256(abi.encode(ids)))).
/// Nothing ties the committee to the consortium's own validators: whoever holds k keys decides.
contract CommitteeVerifier is IMessageVerifier {
    bytes32 public constant COMMITTEE_TAG = keccak256("rwasim.bridge.committee.v1");

    address[] private _members;
    mapping(address => bool) public isMember;
    uint256 public immutable k;

    error SignersNotAscending(address signer);
    error NotAMember(address signer);
    error BelowThreshold(uint256 signers, uint256 k);

    constructor(address[] memory members, uint256 k_) {
        address last = address(0);
        for (uint256 i = 0; i < members.length; i++) {
            if (members[i] <= last) revert SignersNotAscending(members[i]);
            last = members[i];
            isMember[members[i]] = true;
            _members.push(members[i]);
        }
        if (k_ == 0 || k_ > members.length) revert BelowThreshold(members.length, k_);
        k = k_;
    }

    function kind() external pure returns (string memory) {
        return "committee";
    }

    function members() external view returns (address[] memory) {
        return _members;
    }

    function digest(bytes32[] calldata ids) public view returns (bytes32) {
        return keccak256(abi.encode(COMMITTEE_TAG, address(this), keccak256(abi.encode(ids))));
    }

    /// evidence = abi.encode(bytes[] signatures sorted by signer)
    function verifyMessages(bytes32[] calldata ids, bytes calldata evidence) external view returns (bool) {
        bytes[] memory signatures = abi.decode(evidence, (bytes[]));
        bytes32 d = digest(ids);
        address last = address(0);
        for (uint256 i = 0; i < signatures.length; i++) {
            address signer = BridgeTypes.recover(d, signatures[i]);
            if (signer <= last) revert SignersNotAscending(signer);
            if (!isMember[signer]) revert NotAMember(signer);
            last = signer;
        }
        if (signatures.length < k) revert BelowThreshold(signatures.length, k);
        return true;
    }
}
