// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "./interfaces/IERC20.sol";

/// @title DvPEscrow
/// @notice Delivery versus payment on one chain. The seller proposes a trade, the buyer accepts it,
/// and `settle` moves both legs in one transaction straight between the parties (each approved
/// this contract beforehand): the asset through the security token's own transfer checks, the
/// cash through the cash token's. If either leg fails, the whole call reverts, so both legs move
/// or neither. After the deadline an unsettled trade can only be cancelled.
contract DvPEscrow {
    enum State { None, Proposed, Accepted, Settled, Cancelled }

    struct Trade {
        address seller;
        address buyer;
        address asset;
        uint256 assetAmount;
        address cash;
        uint256 cashAmount;
        uint64 deadline;
        State state;
    }

    mapping(uint256 => Trade) public trades;
    uint256 public tradeCount;

    event TradeProposed(uint256 indexed tradeId, address indexed seller, address indexed buyer, address asset, uint256 assetAmount, address cash, uint256 cashAmount, uint64 deadline);
    event TradeAccepted(uint256 indexed tradeId);
    event TradeSettled(uint256 indexed tradeId);
    event TradeCancelled(uint256 indexed tradeId, address by);

    error NotParty(address caller);
    error NotBuyer(address caller);
    error WrongState(uint256 tradeId, State state);
    error DeadlinePassed(uint256 tradeId, uint64 deadline);
    error DeadlineNotPassed(uint256 tradeId, uint64 deadline);
    error LegFailed(uint256 tradeId, string leg);

    function propose(address buyer, address asset, uint256 assetAmount, address cash, uint256 cashAmount, uint64 deadline)
        external returns (uint256 tradeId)
    {
        if (deadline <= block.timestamp) revert DeadlinePassed(tradeCount + 1, deadline);
        tradeId = ++tradeCount;
        trades[tradeId] = Trade(msg.sender, buyer, asset, assetAmount, cash, cashAmount, deadline, State.Proposed);
        emit TradeProposed(tradeId, msg.sender, buyer, asset, assetAmount, cash, cashAmount, deadline);
    }

    function accept(uint256 tradeId) external {
        Trade storage trade = trades[tradeId];
        if (msg.sender != trade.buyer) revert NotBuyer(msg.sender);
        if (trade.state != State.Proposed) revert WrongState(tradeId, trade.state);
        if (block.timestamp >= trade.deadline) revert DeadlinePassed(tradeId, trade.deadline);
        trade.state = State.Accepted;
        emit TradeAccepted(tradeId);
    }

    /// Both legs, atomically; callable by either party before the deadline.
    function settle(uint256 tradeId) external {
        Trade storage trade = trades[tradeId];
        if (msg.sender != trade.seller && msg.sender != trade.buyer) revert NotParty(msg.sender);
        if (trade.state != State.Accepted) revert WrongState(tradeId, trade.state);
        if (block.timestamp >= trade.deadline) revert DeadlinePassed(tradeId, trade.deadline);
        trade.state = State.Settled;
        // A failing token call reverts with its own reason, which bubbles up unchanged.
        if (!IERC20(trade.asset).transferFrom(trade.seller, trade.buyer, trade.assetAmount)) revert LegFailed(tradeId, "asset");
        if (!IERC20(trade.cash).transferFrom(trade.buyer, trade.seller, trade.cashAmount)) revert LegFailed(tradeId, "cash");
        emit TradeSettled(tradeId);
    }

    /// Before acceptance the seller may withdraw; after the deadline either party may cancel.
    function cancel(uint256 tradeId) external {
        Trade storage trade = trades[tradeId];
        if (msg.sender != trade.seller && msg.sender != trade.buyer) revert NotParty(msg.sender);
        if (trade.state != State.Proposed && trade.state != State.Accepted) revert WrongState(tradeId, trade.state);
        bool sellerWithdraws = trade.state == State.Proposed && msg.sender == trade.seller;
        if (!sellerWithdraws && block.timestamp < trade.deadline) revert DeadlineNotPassed(tradeId, trade.deadline);
        trade.state = State.Cancelled;
        emit TradeCancelled(tradeId, msg.sender);
    }
}
