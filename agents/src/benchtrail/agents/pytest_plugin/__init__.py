"""benchtrail's pytest plugin (inactive unless ``--bt-station`` or the ini option is set)."""
