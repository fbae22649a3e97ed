"""geo/: geometry shared by the simulator and the detectors (land mask, distances)."""
