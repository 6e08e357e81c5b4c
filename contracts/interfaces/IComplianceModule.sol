// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// One rule of a product's compliance. `from == address(0)` is a mint, `to == address(0)` a burn.
/// The hooks run after balances have changed and may only be called by the bound compliance.
interface IComplianceModule {
    function moduleName() external view returns (string memory);
    function moduleCheck(address from, address to, uint256 amount) external view returns (bool);
    function moduleTransferAction(address from, address to, uint256 amount) external;
    function moduleMintAction(address to, uint256 amount) external;
    function moduleBurnAction(address from, uint256 amount) external;
}
