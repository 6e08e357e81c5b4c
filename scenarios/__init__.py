"""rwasim's own scenario scripts, one file each; ``rwasim list`` shows them, ``rwasim run NAME`` runs one."""
