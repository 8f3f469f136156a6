"""What the HTTP surfaces (the CMS API and the editors' review) share: the process's state."""
