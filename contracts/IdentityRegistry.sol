// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";

/// @title IdentityRegistry
/// @notice ERC-3643-style identities: one per investor wallet, with a country (ISO 3166 numeric)
/// and claims by topic (KYC, investor class), kept per claim issuer: one issuer's claim never
/// overwrites another's. A claim counts only when its issuer is trusted by the registry for that
/// topic and it has not expired; a token then reads only the claims of the issuers it trusts
/// itself (`isVerifiedBy`, `investorClassBy` with the token's `trustedClaimIssuers`, the ERC-3643
/// trusted-issuers registry), so a bank that is a KYC provider for the registry cannot re-class
/// the issuer's retail investor for the issuer's note. Claims are written by the trusted issuer
/// itself (a KYC provider or the licensed broker), which keeps the trust decision on chain without
/// the full ONCHAINID contract stack. "System" identities are contracts of the market infrastructure
/// (escrows, HTLCs, the bridge gateway) that may hold tokens on behalf of investors.
contract IdentityRegistry is IIdentityRegistry {
    uint256 public constant TOPIC_KYC = 1;
    uint256 public constant TOPIC_INVESTOR_CLASS = 2;

    uint8 public constant CLASS_NONE = 0;
    uint8 public constant CLASS_RETAIL = 1;
    uint8 public constant CLASS_ACCREDITED = 2;
    uint8 public constant CLASS_PROFESSIONAL = 3;

    struct Identity {
        bool exists;
        bool system;
        uint16 country;
    }

    struct Claim {
        address issuer;
        uint256 value;
        uint64 expiresAt; // 0: does not expire
    }

    address public owner;
    mapping(address => bool) public isAgent;
    mapping(uint256 => mapping(address => bool)) public isTrustedIssuer;
    uint256[] private _requiredTopics;
    mapping(address => Identity) private _identities;
    mapping(address => mapping(uint256 => mapping(address => Claim))) private _claims; // wallet, topic, issuer
    mapping(address => address[]) private _claimIssuers; // who has written claims on a wallet, in order
    mapping(address => mapping(address => bool)) private _hasClaimed;

    event AgentAdded(address indexed agent);
    event AgentRemoved(address indexed agent);
    event TrustedIssuerSet(address indexed issuer, uint256 indexed topic, bool trusted);
    event IdentityRegistered(address indexed wallet, uint16 country, bool system);
    event IdentityRemoved(address indexed wallet);
    event CountryUpdated(address indexed wallet, uint16 country);
    event ClaimAdded(address indexed wallet, uint256 indexed topic, address indexed issuer, uint256 value, uint64 expiresAt);
    event ClaimRemoved(address indexed wallet, uint256 indexed topic, address indexed issuer);

    error NotOwner();
    error NotAgent(address caller);
    error NotTrustedIssuer(address caller, uint256 topic);
    error IdentityAlreadyRegistered(address wallet);
    error IdentityNotRegistered(address wallet);
    error ZeroAddress();

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    modifier onlyAgent() {
        if (!isAgent[msg.sender]) revert NotAgent(msg.sender);
        _;
    }

    constructor() {
        owner = msg.sender;
        isAgent[msg.sender] = true;
        _requiredTopics.push(TOPIC_KYC);
        _requiredTopics.push(TOPIC_INVESTOR_CLASS);
        emit AgentAdded(msg.sender);
    }

    function addAgent(address agent) external onlyOwner {
        if (agent == address(0)) revert ZeroAddress();
        isAgent[agent] = true;
        emit AgentAdded(agent);
    }

    function removeAgent(address agent) external onlyOwner {
        isAgent[agent] = false;
        emit AgentRemoved(agent);
    }

    function setTrustedIssuer(address issuer, uint256 topic, bool trusted) external onlyOwner {
        if (issuer == address(0)) revert ZeroAddress();
        isTrustedIssuer[topic][issuer] = trusted;
        emit TrustedIssuerSet(issuer, topic, trusted);
    }

    function requiredTopics() external view returns (uint256[] memory) {
        return _requiredTopics;
    }

    function registerIdentity(address wallet, uint16 country) external onlyAgent {
        _register(wallet, country, false);
    }

    /// A contract of the market infrastructure; verified without claims, exempt from investor rules.
    function registerSystemIdentity(address wallet) external onlyAgent {
        _register(wallet, 0, true);
    }

    function _register(address wallet, uint16 country, bool system) private {
        if (wallet == address(0)) revert ZeroAddress();
        if (_identities[wallet].exists) revert IdentityAlreadyRegistered(wallet);
        _identities[wallet] = Identity(true, system, country);
        emit IdentityRegistered(wallet, country, system);
    }

    function updateCountry(address wallet, uint16 country) external onlyAgent {
        if (!_identities[wallet].exists) revert IdentityNotRegistered(wallet);
        _identities[wallet].country = country;
        emit CountryUpdated(wallet, country);
    }

    function deleteIdentity(address wallet) external onlyAgent {
        if (!_identities[wallet].exists) revert IdentityNotRegistered(wallet);
        delete _identities[wallet];
        address[] storage issuers = _claimIssuers[wallet];
        for (uint256 i = 0; i < issuers.length; i++) {
            delete _claims[wallet][TOPIC_KYC][issuers[i]];
            delete _claims[wallet][TOPIC_INVESTOR_CLASS][issuers[i]];
            _hasClaimed[wallet][issuers[i]] = false;
        }
        delete _claimIssuers[wallet];
        emit IdentityRemoved(wallet);
    }

    /// Written by the claim issuer itself, which must be trusted for the topic; it replaces only
    /// that issuer's own claim on the topic.
    function addClaim(address wallet, uint256 topic, uint256 value, uint64 expiresAt) external {
        if (!isTrustedIssuer[topic][msg.sender]) revert NotTrustedIssuer(msg.sender, topic);
        if (!_identities[wallet].exists) revert IdentityNotRegistered(wallet);
        _claims[wallet][topic][msg.sender] = Claim(msg.sender, value, expiresAt);
        if (!_hasClaimed[wallet][msg.sender]) {
            _hasClaimed[wallet][msg.sender] = true;
            _claimIssuers[wallet].push(msg.sender);
        }
        emit ClaimAdded(wallet, topic, msg.sender, value, expiresAt);
    }

    /// The caller withdraws its own claim.
    function removeClaim(address wallet, uint256 topic) external {
        _removeClaim(wallet, topic, msg.sender);
    }

    /// A registry agent withdraws any issuer's claim.
    function revokeClaim(address wallet, uint256 topic, address issuer) external onlyAgent {
        _removeClaim(wallet, topic, issuer);
    }

    function _removeClaim(address wallet, uint256 topic, address issuer) private {
        delete _claims[wallet][topic][issuer];
        emit ClaimRemoved(wallet, topic, issuer);
    }

    function getClaim(address wallet, uint256 topic, address issuer)
        external view returns (address claimIssuer, uint256 value, uint64 expiresAt)
    {
        Claim storage claim = _claims[wallet][topic][issuer];
        return (claim.issuer, claim.value, claim.expiresAt);
    }

    /// The issuers that have written claims on `wallet`, in the order they first did.
    function claimIssuers(address wallet) external view returns (address[] memory) {
        return _claimIssuers[wallet];
    }

    function contains(address wallet) external view returns (bool) {
        return _identities[wallet].exists;
    }

    function isSystem(address wallet) external view returns (bool) {
        return _identities[wallet].system;
    }

    /// Verified by any issuer the registry trusts (an overview; tokens use `isVerifiedBy`).
    function isVerified(address wallet) public view returns (bool) {
        return isVerifiedBy(wallet, _claimIssuers[wallet]);
    }

    /// Verified by the claims of `issuers` only: every required topic has a valid claim by one of them.
    function isVerifiedBy(address wallet, address[] memory issuers) public view returns (bool) {
        Identity storage identity = _identities[wallet];
        if (!identity.exists) return false;
        if (identity.system) return true;
        uint256 n = _requiredTopics.length;
        for (uint256 i = 0; i < n; i++) {
            if (_firstValidClaim(wallet, _requiredTopics[i], issuers) == address(0)) return false;
        }
        return true;
    }

    function investorCountry(address wallet) external view returns (uint16) {
        return _identities[wallet].country;
    }

    /// The investor class from the first of `issuers` (in that order) with a valid claim, or CLASS_NONE.
    function investorClassBy(address wallet, address[] memory issuers) external view returns (uint8) {
        address issuer = _firstValidClaim(wallet, TOPIC_INVESTOR_CLASS, issuers);
        if (issuer == address(0)) return CLASS_NONE;
        return uint8(_claims[wallet][TOPIC_INVESTOR_CLASS][issuer].value);
    }

    function _firstValidClaim(address wallet, uint256 topic, address[] memory issuers) private view returns (address) {
        for (uint256 i = 0; i < issuers.length; i++) {
            Claim storage claim = _claims[wallet][topic][issuers[i]];
            if (claim.issuer == address(0) || claim.value == 0) continue;
            if (!isTrustedIssuer[topic][claim.issuer]) continue;
            if (claim.expiresAt == 0 || claim.expiresAt > block.timestamp) return claim.issuer;
        }
        return address(0);
    }
}
