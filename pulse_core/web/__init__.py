"""The web server: a Quart application assembled from the blueprints plugins register."""
