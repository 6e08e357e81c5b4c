// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ComplianceModule} from "./ComplianceModule.sol";

/// Investors cannot move units before `lockedUntil` (a Unix time). Mints, and deliveries out of
/// system accounts (DvP escrow, HTLC, bridge), are primary distribution and are not locked.
contract LockUpModule is ComplianceModule {
    uint64 public lockedUntil;

    constructor(address compliance_, address identityRegistry_, uint64 lockedUntil_)
        ComplianceModule(compliance_, identityRegistry_)
    {
        lockedUntil = lockedUntil_;
    }

    function moduleName() external pure returns (string memory) {
        return "LockUpModule";
    }

    function moduleCheck(address from, address to, uint256) external view returns (bool) {
        if (from == address(0) || to == address(0) || _isSystem(from)) return true;
        return block.timestamp >= lockedUntil;
    }
}
