// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BridgeTypes, IMessageVerifier} from "./BridgeTypes.sol";

/// @title QuorumVerifier
/// @notice An on-chain light client of one consortium ledger. It holds the validator set and
/// its threshold (ceil(2n/3), Besu's QBFT quorum) and accepts message ids whose Merkle proofs lead to the event root of a
/// header that at least `threshold` distinct validators signed (their commit seals, checked with
/// ecrecover). A new validator set takes effect only with signatures of the current one, and
/// no set is accepted with a threshold below ceil(2n/3): with less (2f+1 for n = 6 is 3), two
/// disjoint halves of the validators could each certify a different block at one height.
contract QuorumVerifier is IMessageVerifier {
    bytes32 public constant ROTATE_TAG = keccak256("rwasim.bridge.rotate.v1");

    uint256 public immutable consortiumChainId;
    address[] private _validators;
    mapping(address => bool) public isValidator;
    uint256 public threshold;
    bytes32 public validatorSetHash;
    uint256 public epoch;

    event ValidatorSetRotated(uint256 indexed epoch, bytes32 validatorSetHash, uint256 threshold);

    error WrongChain(uint256 chainId);
    error UnknownValidatorSet(bytes32 validatorSetHash);
    error SignersNotAscending(address signer);
    error NotAValidator(address signer);
    error BelowThreshold(uint256 signers, uint256 threshold);
    error BadProof(uint256 index);
    error BadEvidence();
    error ThresholdNotTwoThirds(uint256 threshold, uint256 validators);

    constructor(uint256 chainId, address[] memory validators, uint256 threshold_) {
        consortiumChainId = chainId;
        _setValidators(validators, threshold_);
    }

    function kind() external pure returns (string memory) {
        return "quorum-certificate";
    }

    function validators() external view returns (address[] memory) {
        return _validators;
    }

    /// evidence = abi.encode(Header, bytes[] signatures sorted by signer, bytes32[][] proofs)
    function verifyMessages(bytes32[] calldata ids, bytes calldata evidence) external view returns (bool) {
        (BridgeTypes.Header memory h, bytes[] memory signatures, bytes32[][] memory proofs) =
            abi.decode(evidence, (BridgeTypes.Header, bytes[], bytes32[][]));
        if (proofs.length != ids.length) revert BadEvidence();
        _checkCertificate(h, signatures);
        for (uint256 i = 0; i < ids.length; i++) {
            if (_root(proofs[i], keccak256(abi.encode(ids[i]))) != h.eventRoot) revert BadProof(i);
        }
        return true;
    }

    function _checkCertificate(BridgeTypes.Header memory h, bytes[] memory signatures) internal view virtual {
        if (h.chainId != consortiumChainId) revert WrongChain(h.chainId);
        if (h.validatorSetHash != validatorSetHash) revert UnknownValidatorSet(h.validatorSetHash);
        bytes32 digest = keccak256(abi.encode(BridgeTypes.COMMIT_TAG, keccak256(abi.encode(BridgeTypes.HEADER_TAG, h))));
        _checkSignatures(digest, signatures);
    }

    function _checkSignatures(bytes32 digest, bytes[] memory signatures) internal view virtual {
        address last = address(0);
        uint256 count = 0;
        for (uint256 i = 0; i < signatures.length; i++) {
            address signer = BridgeTypes.recover(digest, signatures[i]);
            if (signer <= last) revert SignersNotAscending(signer);
            if (!isValidator[signer]) revert NotAValidator(signer);
            last = signer;
            count++;
        }
        if (count < threshold) revert BelowThreshold(count, threshold);
    }

    /// Replace the validator set: `signatures` by at least `threshold` of the current set over
    /// keccak256(abi.encode(ROTATE_TAG, chainId, epoch + 1, keccak256(abi.encode(newSet, newThreshold)))).
    function rotate(address[] calldata newValidators, uint256 newThreshold, bytes[] calldata signatures) external {
        bytes32 digest = keccak256(abi.encode(ROTATE_TAG, consortiumChainId, epoch + 1,
                                              keccak256(abi.encode(newValidators, newThreshold))));
        bytes[] memory sigs = signatures;
        _checkSignatures(digest, sigs);
        _setValidators(newValidators, newThreshold);
    }

    function _setValidators(address[] memory validators_, uint256 threshold_) internal {
        for (uint256 i = 0; i < _validators.length; i++) isValidator[_validators[i]] = false;
        delete _validators;
        address last = address(0);
        for (uint256 i = 0; i < validators_.length; i++) {
            if (validators_[i] <= last) revert SignersNotAscending(validators_[i]);
            last = validators_[i];
            isValidator[validators_[i]] = true;
            _validators.push(validators_[i]);
        }
        // ceil(2n/3) <= threshold <= n: any two certificates share an honest validator
        if (validators_.length == 0 || threshold_ > validators_.length || 3 * threshold_ < 2 * validators_.length) {
            revert ThresholdNotTwoThirds(threshold_, validators_.length);
        }
        threshold = threshold_;
        validatorSetHash = keccak256(abi.encode(validators_, threshold_));
        epoch += 1;
        emit ValidatorSetRotated(epoch, validatorSetHash, threshold_);
    }

    function _root(bytes32[] memory proof, bytes32 leaf) internal pure returns (bytes32 node) {
        node = leaf;
        for (uint256 i = 0; i < proof.length; i++) {
            bytes32 sibling = proof[i];
            node = node < sibling ? keccak256(abi.encode(node, sibling)) : keccak256(abi.encode(sibling, node));
        }
    }
}
