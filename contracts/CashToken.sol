// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "./interfaces/IERC20.sol";

/// @title CashToken
/// @notice A permissioned tokenized deposit or stablecoin (HKD, USD) that settlement uses. Its bank
/// mints and burns it and keeps an allow-list: both sides of a transfer must be on it.
contract CashToken is IERC20 {
    string public name;
    string public symbol;
    uint8 public immutable decimals;
    uint256 public totalSupply;
    address public bank;
    bool public paused;

    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    mapping(address => bool) public isMinter;
    mapping(address => bool) public isAllowed;

    event MinterSet(address indexed minter, bool enabled);
    event AllowListed(address indexed account, bool allowed);
    event Paused(address indexed by);
    event Unpaused(address indexed by);

    error NotBank();
    error NotMinter(address caller);
    error NotAllowListed(address account);
    error CashPaused();
    error InsufficientBalance(uint256 balance, uint256 needed);
    error InsufficientAllowance(uint256 allowed, uint256 needed);
    error LengthMismatch(uint256 recipients, uint256 amounts);

    modifier onlyBank() {
        if (msg.sender != bank) revert NotBank();
        _;
    }

    modifier onlyMinter() {
        if (!isMinter[msg.sender]) revert NotMinter(msg.sender);
        _;
    }

    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
        bank = msg.sender;
        isMinter[msg.sender] = true;
        isAllowed[msg.sender] = true;
        emit MinterSet(msg.sender, true);
        emit AllowListed(msg.sender, true);
    }

    function setMinter(address minter, bool enabled) external onlyBank {
        isMinter[minter] = enabled;
        emit MinterSet(minter, enabled);
    }

    function setAllowed(address account, bool allowed) public onlyBank {
        isAllowed[account] = allowed;
        emit AllowListed(account, allowed);
    }

    function batchSetAllowed(address[] calldata accounts, bool allowed) external onlyBank {
        for (uint256 i = 0; i < accounts.length; i++) setAllowed(accounts[i], allowed);
    }

    function pause() external onlyBank {
        paused = true;
        emit Paused(msg.sender);
    }

    function unpause() external onlyBank {
        paused = false;
        emit Unpaused(msg.sender);
    }

    function mint(address to, uint256 amount) external onlyMinter {
        if (!isAllowed[to]) revert NotAllowListed(to);
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    /// The holder redeems its deposit with the bank (or the bank burns what it was paid back).
    function burn(address from, uint256 amount) external onlyMinter {
        uint256 balance = balanceOf[from];
        if (balance < amount) revert InsufficientBalance(balance, amount);
        balanceOf[from] = balance - amount;
        totalSupply -= amount;
        emit Transfer(from, address(0), amount);
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    /// One payment run (coupons, redemptions) to many holders in one transaction: all or nothing.
    function batchTransfer(address[] calldata to, uint256[] calldata amounts) external returns (bool) {
        if (to.length != amounts.length) revert LengthMismatch(to.length, amounts.length);
        for (uint256 i = 0; i < to.length; i++) _move(msg.sender, to[i], amounts[i]);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed < amount) revert InsufficientAllowance(allowed, amount);
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - amount;
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) private {
        if (paused) revert CashPaused();
        if (!isAllowed[from]) revert NotAllowListed(from);
        if (!isAllowed[to]) revert NotAllowListed(to);
        uint256 balance = balanceOf[from];
        if (balance < amount) revert InsufficientBalance(balance, amount);
        balanceOf[from] = balance - amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}
