// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IComplianceModule} from "../interfaces/IComplianceModule.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";

interface IBoundCompliance {
    function token() external view returns (address);
}

interface IClaimTrust {
    function trustedClaimIssuers() external view returns (address[] memory);
}

/// Shared plumbing of the modules: the owner, the compliance allowed to call the hooks, and the
/// identity registry used to exempt system accounts (escrows, HTLCs, the bridge) from investor rules.
abstract contract ComplianceModule is IComplianceModule {
    address public owner;
    address public compliance;
    IIdentityRegistry public identityRegistry;

    error NotOwner();
    error NotCompliance(address caller);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    modifier onlyCompliance() {
        if (msg.sender != compliance) revert NotCompliance(msg.sender);
        _;
    }

    constructor(address compliance_, address identityRegistry_) {
        owner = msg.sender;
        compliance = compliance_;
        identityRegistry = IIdentityRegistry(identityRegistry_);
    }

    function _isSystem(address wallet) internal view returns (bool) {
        return identityRegistry.isSystem(wallet);
    }

    /// The claim issuers the bound token trusts: a module reads only their claims.
    function _trustedIssuers() internal view returns (address[] memory) {
        return IClaimTrust(IBoundCompliance(compliance).token()).trustedClaimIssuers();
    }

    function moduleTransferAction(address, address, uint256) external virtual onlyCompliance {}

    function moduleMintAction(address, uint256) external virtual onlyCompliance {}

    function moduleBurnAction(address, uint256) external virtual onlyCompliance {}
}
