TEMPLATES = ["basic", "ha"]
