# 1.4 adds multi-region workspaces.
TEMPLATES = ["basic", "ha", "multi-region"]
