// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IComplianceModule} from "./interfaces/IComplianceModule.sol";

/// @title ModularCompliance
/// @notice The rules of one product, as modules the issuer binds. A transfer passes when every
/// module agrees; the first module that refuses is named, so the restriction message says which
/// rule blocked it.
contract ModularCompliance {
    address public owner;
    address public token;
    address[] private _modules;
    mapping(address => bool) public isModuleBound;

    event TokenBound(address indexed token);
    event ModuleAdded(address indexed module, string name);
    event ModuleRemoved(address indexed module);

    error NotOwner();
    error NotToken(address caller);
    error TokenAlreadyBound(address token);
    error ModuleAlreadyBound(address module);
    error ModuleNotBound(address module);
    error TooManyModules();

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    modifier onlyToken() {
        if (msg.sender != token) revert NotToken(msg.sender);
        _;
    }

    constructor() {
        owner = msg.sender;
    }

    function bindToken(address token_) external onlyOwner {
        if (token != address(0)) revert TokenAlreadyBound(token);
        token = token_;
        emit TokenBound(token_);
    }

    function addModule(address module) external onlyOwner {
        if (isModuleBound[module]) revert ModuleAlreadyBound(module);
        if (_modules.length >= 16) revert TooManyModules();
        _modules.push(module);
        isModuleBound[module] = true;
        emit ModuleAdded(module, IComplianceModule(module).moduleName());
    }

    function removeModule(address module) external onlyOwner {
        if (!isModuleBound[module]) revert ModuleNotBound(module);
        uint256 n = _modules.length;
        for (uint256 i = 0; i < n; i++) {
            if (_modules[i] == module) {
                _modules[i] = _modules[n - 1];
                _modules.pop();
                break;
            }
        }
        isModuleBound[module] = false;
        emit ModuleRemoved(module);
    }

    function getModules() external view returns (address[] memory) {
        return _modules;
    }

    /// @return ok whether every module agrees; @return failing the first module that refuses.
    function checkTransfer(address from, address to, uint256 amount) public view returns (bool ok, address failing) {
        uint256 n = _modules.length;
        for (uint256 i = 0; i < n; i++) {
            if (!IComplianceModule(_modules[i]).moduleCheck(from, to, amount)) return (false, _modules[i]);
        }
        return (true, address(0));
    }

    function canTransfer(address from, address to, uint256 amount) external view returns (bool ok) {
        (ok, ) = checkTransfer(from, to, amount);
    }

    function transferred(address from, address to, uint256 amount) external onlyToken {
        uint256 n = _modules.length;
        for (uint256 i = 0; i < n; i++) IComplianceModule(_modules[i]).moduleTransferAction(from, to, amount);
    }

    function created(address to, uint256 amount) external onlyToken {
        uint256 n = _modules.length;
        for (uint256 i = 0; i < n; i++) IComplianceModule(_modules[i]).moduleMintAction(to, amount);
    }

    function destroyed(address from, uint256 amount) external onlyToken {
        uint256 n = _modules.length;
        for (uint256 i = 0; i < n; i++) IComplianceModule(_modules[i]).moduleBurnAction(from, amount);
    }
}
