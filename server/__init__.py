"""jxc server: the stock ledger, the scan API and the live stock stream."""
