"""Orders as the CRM writes them, and the rules that say when one is ready for automation."""
