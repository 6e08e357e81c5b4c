// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ComplianceModule} from "./ComplianceModule.sol";
import {IERC20} from "../interfaces/IERC20.sol";

/// No investor wallet may hold more than `maxBalance` units.
contract MaxBalanceModule is ComplianceModule {
    IERC20 public token;
    uint256 public maxBalance;

    constructor(address compliance_, address identityRegistry_, address token_, uint256 maxBalance_)
        ComplianceModule(compliance_, identityRegistry_)
    {
        token = IERC20(token_);
        maxBalance = maxBalance_;
    }

    function moduleName() external pure returns (string memory) {
        return "MaxBalanceModule";
    }

    function moduleCheck(address from, address to, uint256 amount) external view returns (bool) {
        if (to == address(0) || to == from || _isSystem(to)) return true;
        return token.balanceOf(to) + amount <= maxBalance;
    }
}
