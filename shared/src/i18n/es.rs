//! Spanish (español): what most of Streamia's users read first.

use super::Msg::{self, *};

/// Every message in Spanish (the same placeholders as in English).
pub(super) const MESSAGES: &[(Msg, &str)] = &[
    (Validation, "la solicitud no es válida"),
    (BodyRequired, "se requiere un cuerpo JSON en la solicitud"),
    (ContentTypeJson, "el content-type debe ser application/json"),
    (
        MalformedJson,
        "JSON mal formado en la línea {line}, columna {column}",
    ),
    (
        BodyNotObject,
        "el cuerpo de la solicitud debe ser un objeto JSON",
    ),
    (InvalidBody, "el cuerpo de la solicitud no es válido"),
    (
        InvalidPathParameter,
        "el parámetro de ruta {name} no es válido",
    ),
    (
        PayloadTooLarge,
        "el cuerpo de la solicitud supera los {limit} bytes",
    ),
    (AuthenticationRequired, "debes iniciar sesión"),
    (AdminRequired, "se requiere el rol de administrador"),
    (
        OwnerOrAdminOnly,
        "solo su autor o un administrador puede hacer esto",
    ),
    (OwnerOnly, "solo su autor puede hacer esto"),
    (NotFound, "no se encontró"),
    (
        RateLimited,
        "demasiadas solicitudes; inténtalo de nuevo más tarde",
    ),
    (
        Unavailable,
        "un servicio necesario no responde; inténtalo de nuevo en unos momentos",
    ),
    (Internal, "se produjo un error inesperado"),
    (FieldRequired, "es obligatorio"),
    (FieldUnknown, "no es un campo de esta solicitud"),
    (FieldDuplicate, "aparece más de una vez"),
    (FieldMustBeString, "debe ser un texto"),
    (FieldMustBeInteger, "debe ser un número entero"),
    (FieldMustBeNumber, "debe ser un número"),
    (FieldMustBeBoolean, "debe ser true o false"),
    (FieldMustBeObject, "debe ser un objeto"),
    (FieldMustBeArray, "debe ser una lista"),
    (FieldWrongType, "tiene un tipo incorrecto"),
    (FieldOneOf, "debe ser uno de: {values}"),
    (FieldInvalid, "no es válido"),
    (FieldMaxChars, "debe tener como máximo {max} caracteres"),
    (FieldControlChars, "no debe contener caracteres de control"),
    (
        FieldInvisibleChars,
        "no debe contener caracteres invisibles ni de control bidireccional",
    ),
    (FieldEmail, "debe ser un correo electrónico válido"),
    (FieldUsernameLength, "debe tener entre 3 y 30 caracteres"),
    (
        FieldUsernameChars,
        "solo puede contener letras, dígitos, '_', '.' y '-'",
    ),
    (FieldPasswordLength, "debe tener entre 8 y 128 caracteres"),
    (FieldPasswordLower, "debe contener una letra minúscula"),
    (FieldPasswordUpper, "debe contener una letra mayúscula"),
    (FieldPasswordDigit, "debe contener un dígito"),
    (
        FieldObjectId,
        "debe ser un identificador hexadecimal de 24 caracteres",
    ),
    (
        FieldWholeNumber,
        "debe ser un número entero mayor o igual que 1",
    ),
    (FieldAtLeastOne, "debe ser como mínimo 1"),
    (
        FieldNameEmpty,
        "no puede estar vacío (envía null para borrarlo)",
    ),
    (FieldAgeRange, "debe estar entre 13 y 150"),
    (FieldHttpsUrl, "debe ser una URL https"),
    (FieldCannotBeCleared, "no se puede borrar"),
    (
        FieldMustDifferFromCurrent,
        "debe ser distinta de la contraseña actual",
    ),
    (FieldLanguage, "debe ser \"es\" o \"en\""),
    (FieldRole, "debe ser \"admin\" o \"user\""),
    (FieldUserIdOrEmailNotBoth, "indica userId o email, no ambos"),
    (FieldUserIdOrEmailRequired, "se requiere userId o email"),
    (
        FieldCategory,
        "debe tener de 1 a 30 caracteres entre a-z, 0-9 y '-'",
    ),
    (
        FieldDurationSeconds,
        "debe ser un número entero de segundos, al menos 1",
    ),
    (FieldYearRange, "debe ser un año entre {min} y {max}"),
    (
        EmailTaken,
        "ya existe una cuenta con este correo electrónico",
    ),
    (UsernameTaken, "este nombre de usuario ya está en uso"),
    (
        InvalidCredentials,
        "correo electrónico o contraseña incorrectos",
    ),
    (WrongCurrentPassword, "la contraseña actual no es correcta"),
    (
        TooManyPasswordAttempts,
        "demasiados intentos de contraseña; inténtalo de nuevo más tarde",
    ),
    (
        InvalidRefreshToken,
        "el token de renovación no es válido o ha caducado",
    ),
    (
        RefreshTokenReused,
        "el token de renovación ya se había usado; la sesión se ha cerrado",
    ),
    (
        InvalidResetToken,
        "el enlace para restablecer la contraseña no es válido, ya se usó o ha caducado",
    ),
    (UserNotFound, "no se encontró el usuario"),
    (
        NothingToUpdate,
        "el cuerpo debe incluir al menos un campo para actualizar",
    ),
    (AlreadyDeleting, "la cuenta ya se está eliminando"),
    (LoggedOut, "sesión cerrada"),
    (
        ResetLinkSent,
        "Si existe una cuenta con este correo electrónico, te hemos enviado un enlace para \
         restablecer la contraseña.",
    ),
    (
        PasswordReset,
        "la contraseña se ha restablecido; vuelve a iniciar sesión",
    ),
    (
        PasswordChanged,
        "contraseña cambiada; se cerraron las demás sesiones",
    ),
    (DeletionStarted, "se inició la eliminación de la cuenta"),
    (MovieNotFound, "no se encontró la película"),
    (
        MovieDeletionStarted,
        "se inició la eliminación de la película",
    ),
    (
        VideoNotUploaded,
        "no se subió nada con esta clave: sube primero el archivo o pide una nueva URL de subida",
    ),
    (
        VideoMismatch,
        "el archivo subido no es lo que permitía la URL de subida (tipo o tamaño), así que se eliminó",
    ),
    (
        VideoChanged,
        "la subida cambió mientras se confirmaba: confírmala de nuevo",
    ),
    (SubtitleNotFound, "no se encontró el subtítulo"),
    (FieldBytesRange, "debe estar entre {min} y {max} bytes"),
    (FieldLanguageTag, "debe ser una etiqueta de idioma, como es o en-US"),
    (SubtitleTooLarge, "debe ocupar como máximo {max} KB"),
    (
        SubtitleHeader,
        "línea {line}: un archivo WebVTT debe empezar por WEBVTT",
    ),
    (
        SubtitleIndex,
        "línea {line}: se esperaba el número del subtítulo",
    ),
    (
        SubtitleTiming,
        "línea {line}: se esperaban los tiempos del subtítulo, como 00:00:01.000 --> 00:00:04.000",
    ),
    (
        SubtitleEndBeforeStart,
        "línea {line}: el subtítulo debe terminar después de empezar",
    ),
    (
        SubtitleOverlap,
        "línea {line}: el subtítulo empieza antes de que termine el anterior",
    ),
    (
        SubtitleMissingBlank,
        "línea {line}: falta una línea en blanco entre un subtítulo y el siguiente",
    ),
    (SubtitleNoCues, "el archivo no contiene subtítulos"),
    (CommentNotFound, "no se encontró el comentario"),
    (CannotReportOwnComment, "no puedes denunciar tu propio comentario"),
    (AlreadyReported, "ya denunciaste esta versión del comentario"),
    (
        CommentUnderModeration,
        "el comentario está en moderación y no se puede editar",
    ),
    // Ratings.
    (RatingNotFound, "no has calificado esta película"),
    (ScoreInvalid, "debe ser un número entero del 1 al 5"),
    (FavoriteNotFound, "no se encontró el favorito"),
    (AlreadyFavorite, "esta película ya está entre tus favoritas"),
    (EmailGreeting, "Hola, {name}:"),
    (EmailSignature, "El equipo de Streamia"),
    (EmailWelcomeSubject, "¡Te damos la bienvenida a Streamia!"),
    (
        EmailWelcomeBody,
        "Te damos la bienvenida a Streamia. Tu cuenta '{username}' está lista: explora el \
         catálogo, guarda tus favoritas y califica lo que ves.",
    ),
    (EmailWelcomeClosing, "¡Disfruta la función!"),
    (EmailResetSubject, "Restablece tu contraseña de Streamia"),
    (
        EmailResetIntro,
        "Alguien (esperamos que tú) pidió restablecer la contraseña de tu cuenta de Streamia. \
         Abre este enlace para elegir una nueva:",
    ),
    (EmailResetAction, "Elegir una nueva contraseña"),
    (
        EmailResetExpiry,
        "El enlace funciona una sola vez y caduca el {expiresAt}. Si no lo pediste, ignora este \
         correo: tu contraseña no cambia.",
    ),
    (EmailDeletedSubject, "Tu cuenta de Streamia fue eliminada"),
    (
        EmailDeletedBody,
        "Como pediste, tu cuenta de Streamia '{username}' y todo lo que contenía (favoritas, \
         calificaciones y comentarios) se eliminaron.",
    ),
    (
        EmailDeletedClosing,
        "Gracias por ver películas con nosotros. Vuelve cuando quieras.",
    ),
    (EmailDeletionFailedSubject, "No pudimos eliminar tu cuenta de Streamia"),
    (
        EmailDeletionFailedBody,
        "No pudimos terminar de eliminar tu cuenta de Streamia '{username}', así que no se \
         eliminó nada: tu cuenta, favoritas, calificaciones y comentarios siguen como estaban.",
    ),
    (
        EmailDeletionFailedAction,
        "Puedes volver a iniciar sesión. Si aún quieres eliminar tu cuenta, vuelve a pedirlo \
         en unos minutos.",
    ),
    (
        EmailFavoriteRemovedSubject,
        "Una película de tus favoritas salió de Streamia: {title}",
    ),
    (
        EmailFavoriteRemovedBody,
        "'{title}', una de tus favoritas, se retiró del catálogo de Streamia, así que ya no \
         está en tus favoritas.",
    ),
    (
        EmailFavoriteRemovedClosing,
        "Tus demás favoritas, calificaciones y comentarios siguen como estaban.",
    ),
];
