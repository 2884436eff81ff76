"""Storing stitched entities and answering queries over them."""
