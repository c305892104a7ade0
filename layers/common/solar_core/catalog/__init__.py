"""Products, packages, compatibility and warranty rules, and the rules engine that checks them."""
