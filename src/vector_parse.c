/* vector_parse.c: to be written */
#include "postgres.h"
