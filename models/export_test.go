package models

// ComparePassword lets tests count how often sign-in paths hash.
var ComparePassword = &comparePassword
