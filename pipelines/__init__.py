"""Getting customer text in and labels out: cleaning, batch scoring, exports."""
