// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// The two calls CrossSpace needs from a SecurityToken (it is an agent of both tokens).
interface ISpaceToken {
    function bridgeBurn(address from, uint256 amount) external;
    function mint(address to, uint256 amount) external;
}

/// @title CrossSpace
/// @notice The internal cross-space call of a dual-space chain (Conflux's CrossSpaceCall): one
/// consensus orders the permissioned space and the EVM space, so a move between them is a burn
/// of the sender's units in one space's token and a mint to the receiver in the other's, in one
/// transaction: both happen or neither does, and nothing is ever in transit. The receiver's
/// eligibility is the destination token's own check (identity and compliance) inside `mint`,
/// so an ineligible receiver reverts the whole move; the burn is the source token's `bridgeBurn`, so a
/// frozen sender, frozen units or a paused token revert it too. A guardian may pause the call.
contract CrossSpace {
    address public immutable permissionedToken;
    address public immutable evmToken;
    address public immutable guardian;
    bool public paused;
    uint256 public moves;

    event CrossSpaceMove(uint256 indexed nonce, address indexed from, address indexed to, uint256 amount,
                         bool toEvmSpace);
    event Paused(bool paused);

    error CrossSpacePaused();
    error NotGuardian(address caller);

    constructor(address permissionedToken_, address evmToken_, address guardian_) {
        permissionedToken = permissionedToken_;
        evmToken = evmToken_;
        guardian = guardian_;
    }

    function setPaused(bool paused_) external {
        if (msg.sender != guardian) revert NotGuardian(msg.sender);
        paused = paused_;
        emit Paused(paused_);
    }

    /// Move `amount` of the caller's permissioned-space units to `to` in the EVM space.
    function toEvmSpace(address to, uint256 amount) external returns (uint256 nonce) {
        return _move(permissionedToken, evmToken, to, amount, true);
    }

    /// Move `amount` of the caller's EVM-space units to `to` in the permissioned space.
    function toPermissionedSpace(address to, uint256 amount) external returns (uint256 nonce) {
        return _move(evmToken, permissionedToken, to, amount, false);
    }

    function _move(address from, address into, address to, uint256 amount, bool toEvm) private returns (uint256 nonce) {
        if (paused) revert CrossSpacePaused();
        ISpaceToken(from).bridgeBurn(msg.sender, amount);
        ISpaceToken(into).mint(to, amount);
        nonce = ++moves;
        emit CrossSpaceMove(nonce, msg.sender, to, amount, toEvm);
    }
}
