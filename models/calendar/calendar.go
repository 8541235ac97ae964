// Package calendar is the bureau's clock: the time zone every date and
// time is read and shown in.
package calendar

import "time"

// Beijing is China Standard Time, UTC+8 all year: publish times are typed
// in it, and every date and time is shown in it.
var Beijing = time.FixedZone("UTC+8", 8*60*60)
