"""ToolRL: the method as a library."""
