"""The modules of bench/run (the entry point): common (settings and
constants), machine (what the report says about the machine), data (the
generated users, request lines and stores), slapd (the private slapd, by
the tests' fixture tests/lib/slapd.bash), measure (bench/client, bench/ceiling
and bench/sqlite_ceiling runs, their answers checked), groups (the
benchmark groups), pgsql (the PostgreSQL group: its server, by the tests'
fixture tests/lib/pgsql.bash, the server's CPU, its rows and targets),
mysql (the same for MariaDB, tests/lib/mysql.bash), sqlsrv (what those two
share: the server's CPU from /proc, one helper run, rows and targets),
stats (samples, medians, ratios, targets), fmt (cells and tables) and
report (terminal, Markdown and CSV)."""
