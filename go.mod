module github.com/cloudup/cloudup

go 1.26.8

require github.com/cloudinary/cloudinary-go/v2 v2.16.1

require (
	github.com/creasty/defaults v1.7.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/gorilla/schema v1.4.1 // indirect
	github.com/stretchr/testify v1.11.1 // indirect
)
