// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ComplianceModule} from "./ComplianceModule.sol";
import {IERC20} from "../interfaces/IERC20.sol";

/// At most `maxHolders` investor wallets hold a non-zero balance (system accounts do not count).
/// It counts holders through the compliance hooks, so bind it before the first mint.
contract MaxHoldersModule is ComplianceModule {
    IERC20 public token;
    uint256 public maxHolders;
    uint256 public holderCount;

    constructor(address compliance_, address identityRegistry_, address token_, uint256 maxHolders_)
        ComplianceModule(compliance_, identityRegistry_)
    {
        token = IERC20(token_);
        maxHolders = maxHolders_;
    }

    function moduleName() external pure returns (string memory) {
        return "MaxHoldersModule";
    }

    function moduleCheck(address from, address to, uint256 amount) external view returns (bool) {
        if (to == address(0) || amount == 0 || _isSystem(to) || token.balanceOf(to) > 0) return true;
        // The receiver would become a new holder; allowed if the sender leaves at the same time.
        bool senderLeaves = from != address(0) && !_isSystem(from) && token.balanceOf(from) == amount;
        return senderLeaves || holderCount < maxHolders;
    }

    function moduleTransferAction(address from, address to, uint256 amount) external override onlyCompliance {
        _arrived(to, amount);
        _left(from);
    }

    function moduleMintAction(address to, uint256 amount) external override onlyCompliance {
        _arrived(to, amount);
    }

    function moduleBurnAction(address from, uint256) external override onlyCompliance {
        _left(from);
    }

    function _arrived(address to, uint256 amount) private {
        // Hooks run after the balance change: a balance equal to the amount was zero before.
        if (amount > 0 && !_isSystem(to) && token.balanceOf(to) == amount) holderCount += 1;
    }

    function _left(address from) private {
        if (from != address(0) && !_isSystem(from) && token.balanceOf(from) == 0 && holderCount > 0) holderCount -= 1;
    }
}
