// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IMessageVerifier} from "./BridgeTypes.sol";

/// @title OptimisticVerifier
/// @notice Optimistic trust model: anyone posts message ids; they are accepted once a fraud
/// window has passed without a watcher challenging them. Cheap per message, slow by the window,
/// and only as safe as the watchers are awake.
contract OptimisticVerifier is IMessageVerifier {
    uint256 public immutable fraudWindow;
    address public immutable owner;
    mapping(address => bool) public isWatcher;
    mapping(bytes32 => uint256) public postedAt;
    mapping(bytes32 => bool) public challenged;

    event Posted(bytes32 indexed id, address indexed by);
    event Challenged(bytes32 indexed id, address indexed watcher);

    error NotOwner();
    error NotWatcher(address caller);
    error NotPosted(bytes32 id);
    error WindowOpen(bytes32 id, uint256 until);
    error WindowClosed(bytes32 id);
    error ChallengedMessage(bytes32 id);

    constructor(uint256 fraudWindow_, address[] memory watchers) {
        fraudWindow = fraudWindow_;
        owner = msg.sender;
        for (uint256 i = 0; i < watchers.length; i++) isWatcher[watchers[i]] = true;
    }

    function kind() external pure returns (string memory) {
        return "optimistic";
    }

    function setWatcher(address watcher, bool enabled) external {
        if (msg.sender != owner) revert NotOwner();
        isWatcher[watcher] = enabled;
    }

    function post(bytes32[] calldata ids) external {
        for (uint256 i = 0; i < ids.length; i++) {
            if (postedAt[ids[i]] == 0) {
                postedAt[ids[i]] = block.timestamp;
                emit Posted(ids[i], msg.sender);
            }
        }
    }

    function challenge(bytes32 id) external {
        if (!isWatcher[msg.sender]) revert NotWatcher(msg.sender);
        uint256 at = postedAt[id];
        if (at == 0) revert NotPosted(id);
        if (block.timestamp >= at + fraudWindow) revert WindowClosed(id);
        challenged[id] = true;
        emit Challenged(id, msg.sender);
    }

    function verifyMessages(bytes32[] calldata ids, bytes calldata) external view returns (bool) {
        for (uint256 i = 0; i < ids.length; i++) {
            uint256 at = postedAt[ids[i]];
            if (at == 0) revert NotPosted(ids[i]);
            if (challenged[ids[i]]) revert ChallengedMessage(ids[i]);
            if (block.timestamp < at + fraudWindow) revert WindowOpen(ids[i], at + fraudWindow);
        }
        return true;
    }
}
