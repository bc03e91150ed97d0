"""Pulse's web dashboard: plain HTML, CSS and JavaScript modules served by the Pulse server."""
