// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// The part of the identity registry that tokens and compliance modules read.
interface IIdentityRegistry {
    function isVerified(address wallet) external view returns (bool);
    function isSystem(address wallet) external view returns (bool);
    function contains(address wallet) external view returns (bool);
    function investorCountry(address wallet) external view returns (uint16);
    function isVerifiedBy(address wallet, address[] memory issuers) external view returns (bool);
    function investorClassBy(address wallet, address[] memory issuers) external view returns (uint8);
}
