"""Processing: turning what sources say into stitched entities."""
