/* sqlschema.c - the schema check both SQLite programs share (see
 * sqlschema.h).  Only built with SQLite. */
#include "config.h"

#ifdef HAVE_SQLITE

#include <stddef.h>

#include <sqlite3.h>

#include "sqlschema.h"

enum sqlschema_state
sqlschema_check(sqlite3 *db, long long *version_r)
{
	sqlite3_stmt *st = NULL;
	enum sqlschema_state state;
	int rc;

	*version_r = 0;
	rc = sqlite3_prepare_v2(db, SQLSCHEMA_VERSION_QUERY, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		/* SQLITE_ERROR: the statement does not compile here (no such
		 * table or column); anything else is the file or a lock */
		return (rc & 0xff) == SQLITE_ERROR ? SQLSCHEMA_MISSING :
		    SQLSCHEMA_ERROR;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		state = SQLSCHEMA_ERROR;
	} else if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		state = SQLSCHEMA_EMPTY;
	} else {
		*version_r = sqlite3_column_int64(st, 0);
		state = *version_r > SQLSCHEMA_VERSION ? SQLSCHEMA_NEWER :
		    SQLSCHEMA_OK;
	}
	/* after a failed step, finalize leaves its message in place */
	sqlite3_finalize(st);
	return state;
}

#endif /* HAVE_SQLITE */
