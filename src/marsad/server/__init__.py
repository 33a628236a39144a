"""``marsad serve``: the JSON API and the dashboard over a corpus."""
