"""moto and the template deployed on it: the server, the SAM transform and intrinsics, what moto skips, read-back."""
