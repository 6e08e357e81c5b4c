// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "rwasim/interfaces/IERC20.sol";
import {IIdentityRegistry} from "rwasim/interfaces/IIdentityRegistry.sol";
import {SecurityToken} from "rwasim/SecurityToken.sol";

/// Our team's vault for a security token issued with rwasim's ERC-3643-style suite.
/// Only wallets the token's own identity registry verifies may deposit, and each may take
/// back only what it put in. The token's issuer registers the vault as a system identity so
/// that it may hold the token at all.
contract WhitelistedVault {
    IERC20 public immutable token;
    IIdentityRegistry public immutable registry;
    mapping(address => uint256) public deposited;
    uint256 public totalDeposited;

    event Deposited(address indexed investor, uint256 amount);
    event Withdrawn(address indexed investor, uint256 amount);

    error NotVerified(address investor);
    error MoreThanDeposited(uint256 deposited, uint256 asked);
    error TokenRefused();

    constructor(address token_) {
        token = IERC20(token_);
        registry = SecurityToken(token_).identityRegistry();
    }

    function deposit(uint256 amount) external {
        if (!registry.isVerified(msg.sender)) revert NotVerified(msg.sender);
        deposited[msg.sender] += amount;
        totalDeposited += amount;
        if (!token.transferFrom(msg.sender, address(this), amount)) revert TokenRefused();
        emit Deposited(msg.sender, amount);
    }

    function withdraw(uint256 amount) external {
        uint256 balance = deposited[msg.sender];
        if (amount > balance) revert MoreThanDeposited(balance, amount);
        deposited[msg.sender] = balance - amount;
        totalDeposited -= amount;
        if (!token.transfer(msg.sender, amount)) revert TokenRefused();
        emit Withdrawn(msg.sender, amount);
    }
}
