// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "./interfaces/IERC20.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {ModularCompliance} from "./ModularCompliance.sol";

/// @title SecurityToken
/// @notice ERC-20 with the ERC-3643 operations (agents, mint/burn, batch operations, pause,
/// freezes, forced transfer, wallet recovery), an ERC-1643-like document registry for the term
/// sheet, and an ERC-1404-style transfer pre-check. Two deliberate differences from the reference
/// implementation: a forced transfer still requires an eligible, unfrozen receiver (verified
/// identity and compliance), and it can only move unfrozen units, never dropping a balance below
/// its frozen amount.
///
/// The compliance rule on every route (README, "Compliance rule on every route"): a frozen wallet
/// neither sends nor receives units, frozen units do not move, and a paused token moves nothing but
/// the recovery actions of the issuer's agents (`forcedTransfer`, `recoveryAddress`). Transfers,
/// mints (the issuer's and the bridge's), burns towards another chain (`bridgeBurn`) and forced
/// transfers all apply it; only the redemption `burn` may take frozen units, so a note can always
/// be retired.
contract SecurityToken is IERC20 {
    uint8 public constant CODE_SUCCESS = 0;
    uint8 public constant CODE_PAUSED = 1;
    uint8 public constant CODE_SENDER_FROZEN = 2;
    uint8 public constant CODE_RECEIVER_FROZEN = 3;
    uint8 public constant CODE_INSUFFICIENT_UNFROZEN_BALANCE = 4;
    uint8 public constant CODE_RECEIVER_NOT_VERIFIED = 5;
    uint8 public constant CODE_COMPLIANCE_FAILURE = 6;

    struct Document {
        string uri;
        bytes32 documentHash;
        uint256 lastModified;
    }

    string public name;
    string public symbol;
    uint8 public immutable decimals;
    uint256 public totalSupply;
    address public owner;
    bool public paused;
    IIdentityRegistry public identityRegistry;
    ModularCompliance public compliance;

    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    mapping(address => bool) public isAgent;
    mapping(address => bool) public isFrozen;
    mapping(address => uint256) public getFrozenTokens;

    address[] private _trustedClaimIssuers; // the claim issuers whose KYC and class claims count here

    mapping(bytes32 => Document) private _documents;
    bytes32[] private _documentNames;

    event AgentAdded(address indexed agent);
    event AgentRemoved(address indexed agent);
    event Paused(address indexed by);
    event Unpaused(address indexed by);
    event AddressFrozen(address indexed wallet, bool indexed frozen, address indexed by);
    event TokensFrozen(address indexed wallet, uint256 amount);
    event TokensUnfrozen(address indexed wallet, uint256 amount);
    event ForcedTransfer(address indexed from, address indexed to, uint256 amount, address indexed by);
    event RecoverySuccess(address indexed lostWallet, address indexed newWallet, uint256 amount);
    event TrustedClaimIssuersSet(address[] issuers);
    event DocumentUpdated(bytes32 indexed name, string uri, bytes32 documentHash);
    event DocumentRemoved(bytes32 indexed name, string uri, bytes32 documentHash);

    error NotOwner();
    error NotAgent(address caller);
    error TransferRestricted(uint8 code, string reason);
    error InsufficientAllowance(uint256 allowed, uint256 needed);
    error InsufficientBalance(uint256 balance, uint256 needed);
    error FreezeExceedsBalance(uint256 balance, uint256 frozenAfter);
    error UnfreezeExceedsFrozen(uint256 frozen, uint256 amount);
    error LengthMismatch(uint256 a, uint256 b);
    error ZeroAddress();
    error WalletNotVerified(address wallet);
    error NothingToRecover(address wallet);
    error UnknownDocument(bytes32 name);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    modifier onlyAgent() {
        if (!isAgent[msg.sender]) revert NotAgent(msg.sender);
        _;
    }

    constructor(string memory name_, string memory symbol_, uint8 decimals_, address identityRegistry_, address compliance_) {
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
        owner = msg.sender;
        identityRegistry = IIdentityRegistry(identityRegistry_);
        compliance = ModularCompliance(compliance_);
    }

    // ---- roles -------------------------------------------------------------------------
    function addAgent(address agent) external onlyOwner {
        if (agent == address(0)) revert ZeroAddress();
        isAgent[agent] = true;
        emit AgentAdded(agent);
    }

    function removeAgent(address agent) external onlyOwner {
        isAgent[agent] = false;
        emit AgentRemoved(agent);
    }

    function setIdentityRegistry(address registry) external onlyOwner {
        identityRegistry = IIdentityRegistry(registry);
    }

    function setCompliance(address compliance_) external onlyOwner {
        compliance = ModularCompliance(compliance_);
    }

    /// The claim issuers this token trusts, in priority order (ERC-3643's trusted issuers registry,
    /// per token): only their claims verify a holder and give its investor class, whoever else the
    /// shared identity registry lets write claims.
    function setTrustedClaimIssuers(address[] calldata issuers) external onlyOwner {
        for (uint256 i = 0; i < issuers.length; i++) if (issuers[i] == address(0)) revert ZeroAddress();
        _trustedClaimIssuers = issuers;
        emit TrustedClaimIssuersSet(issuers);
    }

    function trustedClaimIssuers() external view returns (address[] memory) {
        return _trustedClaimIssuers;
    }

    function _verified(address wallet) private view returns (bool) {
        return identityRegistry.isVerifiedBy(wallet, _trustedClaimIssuers);
    }

    // ---- the restriction pre-check (ERC-1404 style) ------------------------------------
    function detectTransferRestriction(address from, address to, uint256 amount) public view returns (uint8) {
        (uint8 code, ) = _restriction(from, to, amount);
        return code;
    }

    function messageForTransferRestriction(uint8 code) public pure returns (string memory) {
        if (code == CODE_SUCCESS) return "ok";
        if (code == CODE_PAUSED) return "token is paused";
        if (code == CODE_SENDER_FROZEN) return "sender wallet is frozen";
        if (code == CODE_RECEIVER_FROZEN) return "receiver wallet is frozen";
        if (code == CODE_INSUFFICIENT_UNFROZEN_BALANCE) return "insufficient unfrozen balance";
        if (code == CODE_RECEIVER_NOT_VERIFIED) return "receiver identity is not verified";
        if (code == CODE_COMPLIANCE_FAILURE) return "compliance rule refused the transfer";
        return "unknown restriction code";
    }

    /// The code and a message that names the compliance module when one refuses.
    function canTransfer(address from, address to, uint256 amount) external view returns (uint8 code, string memory message) {
        address failing;
        (code, failing) = _restriction(from, to, amount);
        message = _message(code, failing);
    }

    /// The pre-check of `mint`: a bridge or issuer learns why a mint would be refused without
    /// reverting (0 ok, 1 paused, 3 receiver frozen, 5 receiver not verified, 6 a compliance
    /// module, named).
    function canMint(address to, uint256 amount) external view returns (uint8 code, string memory message) {
        address failing;
        (code, failing) = _mintRestriction(to, amount);
        message = _message(code, failing);
    }

    /// The pre-check of `bridgeBurn` (0 ok, 1 paused, 2 sender frozen, 4 insufficient unfrozen balance).
    function canBridgeBurn(address from, uint256 amount) external view returns (uint8 code, string memory message) {
        code = _sendRestriction(from, amount);
        message = messageForTransferRestriction(code);
    }

    function _mintRestriction(address to, uint256 amount) private view returns (uint8, address) {
        if (paused) return (CODE_PAUSED, address(0));
        if (isFrozen[to]) return (CODE_RECEIVER_FROZEN, address(0));
        if (!_verified(to)) return (CODE_RECEIVER_NOT_VERIFIED, address(0));
        (bool ok, address failing) = compliance.checkTransfer(address(0), to, amount);
        if (!ok) return (CODE_COMPLIANCE_FAILURE, failing);
        return (CODE_SUCCESS, address(0));
    }

    /// The sender's half of the rule, for units leaving a wallet other than by a transfer.
    function _sendRestriction(address from, uint256 amount) private view returns (uint8) {
        if (paused) return CODE_PAUSED;
        if (isFrozen[from]) return CODE_SENDER_FROZEN;
        if (balanceOf[from] < amount + getFrozenTokens[from]) return CODE_INSUFFICIENT_UNFROZEN_BALANCE;
        return CODE_SUCCESS;
    }

    function _message(uint8 code, address failingModule) private view returns (string memory) {
        if (code == CODE_COMPLIANCE_FAILURE) {
            return string.concat("compliance: ", ComplianceModuleName(failingModule).moduleName());
        }
        return messageForTransferRestriction(code);
    }

    function _restriction(address from, address to, uint256 amount) private view returns (uint8, address) {
        if (paused) return (CODE_PAUSED, address(0));
        if (isFrozen[from]) return (CODE_SENDER_FROZEN, address(0));
        if (isFrozen[to]) return (CODE_RECEIVER_FROZEN, address(0));
        if (balanceOf[from] < amount + getFrozenTokens[from]) return (CODE_INSUFFICIENT_UNFROZEN_BALANCE, address(0));
        if (!_verified(to)) return (CODE_RECEIVER_NOT_VERIFIED, address(0));
        (bool ok, address failing) = compliance.checkTransfer(from, to, amount);
        if (!ok) return (CODE_COMPLIANCE_FAILURE, failing);
        return (CODE_SUCCESS, address(0));
    }

    function _requireAllowed(address from, address to, uint256 amount) private view {
        (uint8 code, address failing) = _restriction(from, to, amount);
        if (code != CODE_SUCCESS) revert TransferRestricted(code, _message(code, failing));
    }

    // ---- ERC-20 ------------------------------------------------------------------------
    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _requireAllowed(msg.sender, to, amount);
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed < amount) revert InsufficientAllowance(allowed, amount);
        _requireAllowed(from, to, amount);
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - amount;
        _move(from, to, amount);
        return true;
    }

    function batchTransfer(address[] calldata to, uint256[] calldata amounts) external {
        if (to.length != amounts.length) revert LengthMismatch(to.length, amounts.length);
        for (uint256 i = 0; i < to.length; i++) {
            _requireAllowed(msg.sender, to[i], amounts[i]);
            _move(msg.sender, to[i], amounts[i]);
        }
    }

    function _move(address from, address to, uint256 amount) private {
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
        compliance.transferred(from, to, amount);
    }

    // ---- issuance and redemption --------------------------------------------------------
    /// Issue units (the issuer's primary mint, a bridge delivery, a bridge refund): refused while
    /// paused and to a frozen wallet, like any other receipt of units.
    function mint(address to, uint256 amount) public onlyAgent {
        (uint8 code, address failing) = _mintRestriction(to, amount);
        if (code != CODE_SUCCESS) revert TransferRestricted(code, _message(code, failing));
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
        compliance.created(to, amount);
    }

    function batchMint(address[] calldata to, uint256[] calldata amounts) external onlyAgent {
        if (to.length != amounts.length) revert LengthMismatch(to.length, amounts.length);
        for (uint256 i = 0; i < to.length; i++) mint(to[i], amounts[i]);
    }

    /// Burns units for redemption. Frozen units are released first if the free balance is short,
    /// as in ERC-3643, so a redemption can always complete. Not for units that leave for another
    /// chain or space: those go through `bridgeBurn`, which a frozen holder cannot use.
    function burn(address from, uint256 amount) public onlyAgent {
        _burn(from, amount);
    }

    /// Burns units that leave for another chain or space (the bridge gateway's `send`, a cross-space
    /// call): the holder's own send, so it obeys the rule like a transfer (not paused, the wallet
    /// not frozen, only unfrozen units).
    function bridgeBurn(address from, uint256 amount) external onlyAgent {
        uint8 code = _sendRestriction(from, amount);
        if (code != CODE_SUCCESS) revert TransferRestricted(code, messageForTransferRestriction(code));
        _burn(from, amount);
    }

    function _burn(address from, uint256 amount) private {
        uint256 balance = balanceOf[from];
        if (balance < amount) revert InsufficientBalance(balance, amount);
        uint256 free = balance - getFrozenTokens[from];
        if (amount > free) {
            uint256 release = amount - free;
            getFrozenTokens[from] -= release;
            emit TokensUnfrozen(from, release);
        }
        balanceOf[from] = balance - amount;
        totalSupply -= amount;
        emit Transfer(from, address(0), amount);
        compliance.destroyed(from, amount);
    }

    function batchBurn(address[] calldata from, uint256[] calldata amounts) external onlyAgent {
        if (from.length != amounts.length) revert LengthMismatch(from.length, amounts.length);
        for (uint256 i = 0; i < from.length; i++) _burn(from[i], amounts[i]);
    }

    // ---- enforcement ---------------------------------------------------------------------
    function pause() external onlyAgent {
        paused = true;
        emit Paused(msg.sender);
    }

    function unpause() external onlyAgent {
        paused = false;
        emit Unpaused(msg.sender);
    }

    function setAddressFrozen(address wallet, bool frozen) public onlyAgent {
        isFrozen[wallet] = frozen;
        emit AddressFrozen(wallet, frozen, msg.sender);
    }

    function batchSetAddressFrozen(address[] calldata wallets, bool[] calldata frozen) external onlyAgent {
        if (wallets.length != frozen.length) revert LengthMismatch(wallets.length, frozen.length);
        for (uint256 i = 0; i < wallets.length; i++) setAddressFrozen(wallets[i], frozen[i]);
    }

    function freezePartialTokens(address wallet, uint256 amount) external onlyAgent {
        uint256 frozenAfter = getFrozenTokens[wallet] + amount;
        if (frozenAfter > balanceOf[wallet]) revert FreezeExceedsBalance(balanceOf[wallet], frozenAfter);
        getFrozenTokens[wallet] = frozenAfter;
        emit TokensFrozen(wallet, amount);
    }

    function unfreezePartialTokens(address wallet, uint256 amount) external onlyAgent {
        uint256 frozen = getFrozenTokens[wallet];
        if (amount > frozen) revert UnfreezeExceedsFrozen(frozen, amount);
        getFrozenTokens[wallet] = frozen - amount;
        emit TokensUnfrozen(wallet, amount);
    }

    /// An agent moves units without the holder's signature (court order, error correction, a lost
    /// key): a recovery action. The pause does not stop it and neither does the sender's freeze
    /// flag (seizing a frozen wallet's units is what a court order is for; the holder does not
    /// act). Unlike the reference implementation, frozen units never move, and the receiver must
    /// be unfrozen, verified and pass compliance.
    function forcedTransfer(address from, address to, uint256 amount) external onlyAgent returns (bool) {
        uint256 free = balanceOf[from] - getFrozenTokens[from];
        if (amount > free) revert TransferRestricted(CODE_INSUFFICIENT_UNFROZEN_BALANCE, messageForTransferRestriction(CODE_INSUFFICIENT_UNFROZEN_BALANCE));
        if (isFrozen[to]) revert TransferRestricted(CODE_RECEIVER_FROZEN, messageForTransferRestriction(CODE_RECEIVER_FROZEN));
        if (!_verified(to)) revert TransferRestricted(CODE_RECEIVER_NOT_VERIFIED, messageForTransferRestriction(CODE_RECEIVER_NOT_VERIFIED));
        (bool ok, address failing) = compliance.checkTransfer(from, to, amount);
        if (!ok) revert TransferRestricted(CODE_COMPLIANCE_FAILURE, _message(CODE_COMPLIANCE_FAILURE, failing));
        _move(from, to, amount);
        emit ForcedTransfer(from, to, amount, msg.sender);
        return true;
    }

    /// Moves everything (balance, frozen amount and flag) from a lost wallet to the investor's new,
    /// verified wallet: a recovery action, allowed while paused. The investor is the same, so
    /// compliance is not re-checked and the freeze travels with the units; a new wallet that is
    /// itself frozen receives nothing.
    function recoveryAddress(address lostWallet, address newWallet) external onlyAgent returns (bool) {
        uint256 amount = balanceOf[lostWallet];
        if (amount == 0) revert NothingToRecover(lostWallet);
        if (isFrozen[newWallet]) revert TransferRestricted(CODE_RECEIVER_FROZEN, messageForTransferRestriction(CODE_RECEIVER_FROZEN));
        if (!_verified(newWallet)) revert WalletNotVerified(newWallet);
        uint256 frozen = getFrozenTokens[lostWallet];
        balanceOf[lostWallet] = 0;
        balanceOf[newWallet] += amount;
        getFrozenTokens[lostWallet] = 0;
        getFrozenTokens[newWallet] += frozen;
        if (isFrozen[lostWallet]) {
            isFrozen[newWallet] = true;
            emit AddressFrozen(newWallet, true, msg.sender);
        }
        emit Transfer(lostWallet, newWallet, amount);
        compliance.transferred(lostWallet, newWallet, amount);
        emit RecoverySuccess(lostWallet, newWallet, amount);
        return true;
    }

    // ---- documents (ERC-1643-like) -----------------------------------------------------------
    function setDocument(bytes32 docName, string calldata uri, bytes32 documentHash) external onlyAgent {
        if (_documents[docName].lastModified == 0) _documentNames.push(docName);
        _documents[docName] = Document(uri, documentHash, block.timestamp);
        emit DocumentUpdated(docName, uri, documentHash);
    }

    function removeDocument(bytes32 docName) external onlyAgent {
        Document memory doc = _documents[docName];
        if (doc.lastModified == 0) revert UnknownDocument(docName);
        delete _documents[docName];
        uint256 n = _documentNames.length;
        for (uint256 i = 0; i < n; i++) {
            if (_documentNames[i] == docName) {
                _documentNames[i] = _documentNames[n - 1];
                _documentNames.pop();
                break;
            }
        }
        emit DocumentRemoved(docName, doc.uri, doc.documentHash);
    }

    function getDocument(bytes32 docName) external view returns (string memory uri, bytes32 documentHash, uint256 lastModified) {
        Document memory doc = _documents[docName];
        if (doc.lastModified == 0) revert UnknownDocument(docName);
        return (doc.uri, doc.documentHash, doc.lastModified);
    }

    function getAllDocuments() external view returns (bytes32[] memory) {
        return _documentNames;
    }
}

interface ComplianceModuleName {
    function moduleName() external view returns (string memory);
}
