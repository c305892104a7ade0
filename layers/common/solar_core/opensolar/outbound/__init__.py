"""Our side out: syncing installation requests to OpenSolar projects, paced writes, status pushes, the hourly retry."""
