module zachet.local/guard

// (old enough for any exercise module: a newer go line here could make go raise theirs)
go 1.18
