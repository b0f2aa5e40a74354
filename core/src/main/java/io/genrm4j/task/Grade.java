package io.genrm4j.task;

/** The grader's finding for one candidate: the answer it read (null when none) and whether it is correct. */
public record Grade(String extractedAnswer, boolean correct) {}
