"""The web app through Flask's test client: what each page shows, in Dutch and English."""
