/* hnswcheck.c: to be written */
#include "postgres.h"
