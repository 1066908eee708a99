"""Media handling: ffmpeg, the rendition ladder, the processing pipeline and storage."""
