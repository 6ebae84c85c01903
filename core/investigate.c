/* SPDX-License-Identifier: Apache-2.0 */
/* placeholder until written */
#include "config.h"
