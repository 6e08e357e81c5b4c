// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ComplianceModule} from "./ComplianceModule.sol";

/// Receivers must hold one of the allowed investor classes (bit i set = class i allowed;
/// classes as in IdentityRegistry: 1 retail, 2 accredited, 3 professional), read only from the
/// claims of the issuers the token trusts.
contract InvestorClassModule is ComplianceModule {
    uint8 public allowedClassMask;

    constructor(address compliance_, address identityRegistry_, uint8 allowedClassMask_)
        ComplianceModule(compliance_, identityRegistry_)
    {
        allowedClassMask = allowedClassMask_;
    }

    function setAllowedClassMask(uint8 mask) external onlyOwner {
        allowedClassMask = mask;
    }

    function moduleName() external pure returns (string memory) {
        return "InvestorClassModule";
    }

    function moduleCheck(address, address to, uint256) external view returns (bool) {
        if (to == address(0) || _isSystem(to)) return true;
        uint8 class_ = identityRegistry.investorClassBy(to, _trustedIssuers());
        return class_ != 0 && (allowedClassMask >> class_) & 1 == 1;
    }
}
