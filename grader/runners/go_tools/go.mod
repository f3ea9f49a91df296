module zachet.local/gotools

go 1.22
