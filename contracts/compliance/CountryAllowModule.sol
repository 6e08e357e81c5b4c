// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ComplianceModule} from "./ComplianceModule.sol";

/// Receivers must reside in an allowed country (ISO 3166 numeric).
contract CountryAllowModule is ComplianceModule {
    mapping(uint16 => bool) public isCountryAllowed;

    event CountryAllowed(uint16 country, bool allowed);

    constructor(address compliance_, address identityRegistry_, uint16[] memory countries)
        ComplianceModule(compliance_, identityRegistry_)
    {
        for (uint256 i = 0; i < countries.length; i++) {
            isCountryAllowed[countries[i]] = true;
            emit CountryAllowed(countries[i], true);
        }
    }

    function setCountryAllowed(uint16 country, bool allowed) external onlyOwner {
        isCountryAllowed[country] = allowed;
        emit CountryAllowed(country, allowed);
    }

    function moduleName() external pure returns (string memory) {
        return "CountryAllowModule";
    }

    function moduleCheck(address, address to, uint256) external view returns (bool) {
        if (to == address(0) || _isSystem(to)) return true;
        return isCountryAllowed[identityRegistry.investorCountry(to)];
    }
}
