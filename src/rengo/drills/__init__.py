"""Joint cyber exercises: live and tabletop drills, scored and reported."""
